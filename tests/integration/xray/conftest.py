"""A server of its own for the X-Ray tests that send over UDP: its daemon on a free port, so
no other Overcast on the machine (holding 127.0.0.1:2000) receives their segments."""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import Server


def free_udp_port() -> int:
    """A port free for both UDP (segments) and TCP (the sampling proxy) on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


def wait_bound(port: int, timeout: float = 10) -> None:
    """Until the server holds the UDP port (binding it ourselves fails) and its TCP proxy,
    bound just after, accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return
                except OSError:
                    pass
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on UDP and TCP {port}")


@pytest.fixture(scope="module")
def daemon_server():
    port = free_udp_port()
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}"})
    try:
        wait_bound(port)
        yield server, port
    finally:
        server.stop()

"""The https front: TLS on a loopback address of the server's own, relayed to its port, with a
certificate the CA's file verifies; a port it cannot open leaves it closed with the reason.
(Port 443 itself needs privileges, so these tests move the front to a free port.)"""

from __future__ import annotations

import asyncio
import socket
import ssl

import pytest

from overcast.common import httpsfront
from overcast.services.cloudformation.custom import as_strings


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def test_front_address_is_per_port():
    assert httpsfront.front_address(4566) == "127.1.17.214"
    assert httpsfront.front_address(4567) != httpsfront.front_address(4566)


def test_the_front_relays_tls_to_the_port(monkeypatch: pytest.MonkeyPatch):
    async def scenario() -> bytes:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"echo:" + await reader.readuntil(b"\n"))
            await writer.drain()
            writer.close()

        target = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = target.sockets[0].getsockname()[1]
        front = httpsfront.HttpsFront("127.0.0.1", port)
        monkeypatch.setattr(httpsfront, "PORT", free_port(front.address))
        assert await front.ensure()
        client = ssl.create_default_context(cafile=str(front.authority.ca_file))
        reader, writer = await asyncio.open_connection(front.address, httpsfront.PORT, ssl=client)
        writer.write(b"hello\n")
        await writer.drain()
        answer = await reader.read()
        writer.close()
        front.close()
        target.close()
        return answer

    assert asyncio.run(scenario()) == b"echo:hello\n"


def test_trust_env_names_the_ca_and_a_bundle_with_it():
    front = httpsfront.HttpsFront("127.0.0.1", free_port("127.0.0.1"))
    env = front.trust_env()
    ca = open(env["NODE_EXTRA_CA_CERTS"]).read()
    assert "BEGIN CERTIFICATE" in ca
    assert open(env["SSL_CERT_FILE"]).read().endswith(ca)


def test_a_port_it_cannot_open_leaves_it_closed_with_the_reason(monkeypatch: pytest.MonkeyPatch):
    async def scenario() -> tuple[bool, str]:
        front = httpsfront.HttpsFront("127.0.0.1", free_port("127.0.0.1"))
        with socket.socket() as taken:
            taken.bind((front.address, 0))
            taken.listen()
            monkeypatch.setattr(httpsfront, "PORT", taken.getsockname()[1])
            opened = await front.ensure()
        return opened, front.problem

    opened, problem = asyncio.run(scenario())
    assert not opened
    assert "could not listen" in problem and "CAP_NET_BIND_SERVICE" in problem


def test_custom_resource_properties_are_sent_as_strings():
    given = {"Prune": True, "Count": 3, "Ratio": 0.5, "Names": ["a", 1, False], "Nested": {"On": True}}
    assert as_strings(given) == {
        "Prune": "true",
        "Count": "3",
        "Ratio": "0.5",
        "Names": ["a", "1", "false"],
        "Nested": {"On": "true"},
    }

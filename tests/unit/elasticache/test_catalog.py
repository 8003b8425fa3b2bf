"""ElastiCache's catalog and checks: engine versions, families, windows, tokens, the RESP client
and the command line of a node."""

from __future__ import annotations

import socket
import threading

import pytest

from overcast.errors import ServiceError
from overcast.services.elasticache import catalog
from overcast.services.elasticache.engines import Resp, RespError
from overcast.services.elasticache.nodes import check_id, check_token, check_window


def test_versions_resolve_as_aws_names_them():
    assert catalog.resolve_version("redis", None) == "7.1"
    assert catalog.resolve_version("redis", "7.0") == "7.0"
    assert catalog.resolve_version("redis", "6.x") == "6.2"
    assert catalog.resolve_version("memcached", "1.6") == "1.6.22"
    assert catalog.resolve_version("valkey", "8") == "8.0"
    with pytest.raises(ServiceError) as error:
        catalog.resolve_version("redis", "9.9")
    assert error.value.code == "InvalidParameterCombination"
    assert catalog.family("redis", "7.0") == "redis7"
    assert catalog.family("redis", "6.2") == "redis6.x"
    assert catalog.family("memcached", "1.6.22") == "memcached1.6"
    assert catalog.family_engine("valkey8") == "valkey"


def test_default_parameters_follow_the_family():
    redis7 = {p["ParameterName"]: p for p in catalog.default_parameters("redis7")}
    assert redis7["maxmemory-policy"]["ParameterValue"] == "volatile-lru"
    assert "hash-max-listpack-entries" in redis7
    redis6 = {p["ParameterName"] for p in catalog.default_parameters("redis6.x")}
    assert "hash-max-ziplist-entries" in redis6 and "hash-max-listpack-entries" not in redis6
    assert "max_item_size" in {p["ParameterName"] for p in catalog.default_parameters("memcached1.6")}


@pytest.mark.parametrize(
    ("window", "ok"),
    [
        ("05:00-06:00", True),
        ("23:30-00:30", True),
        ("05:00-05:30", False),
        ("5:00-6:00", False),
        ("25:00-26:00", False),
    ],
)
def test_snapshot_windows(window, ok):
    if ok:
        check_window(window)
    else:
        with pytest.raises(ServiceError):
            check_window(window)


def test_identifiers_and_tokens():
    assert check_id("My-Cache", "CacheClusterId") == "my-cache"
    for bad in ("1cache", "a--b", "ends-", "x" * 41):
        with pytest.raises(ServiceError):
            check_id(bad, "CacheClusterId")
    check_token("a-valid-token-1234")
    for bad in ("short", "has space in it 123", "has@at-sign-12345"):
        with pytest.raises(ServiceError):
            check_token(bad)


def test_offerings_are_stable_and_unique():
    first, second = catalog.offerings(), catalog.offerings()
    assert first == second
    ids = [o["ReservedCacheNodesOfferingId"] for o in first]
    assert len(ids) == len(set(ids))


def _serve(replies: bytes) -> tuple[int, list[bytes]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received: list[bytes] = []

    def run() -> None:
        conn, _ = listener.accept()
        received.append(conn.recv(65536))
        conn.sendall(replies)
        conn.close()
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1], received


def test_the_resp_client_speaks_resp2():
    port, received = _serve(b"*3\r\n$1\r\na\r\n$-1\r\n:7\r\n")
    with Resp(port) as conn:
        assert conn.call("MGET", "a", "b", b"c") == [b"a", None, 7]
    assert received[0] == b"*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    port, _ = _serve(b"-ERR wrong\r\n")
    with Resp(port) as conn, pytest.raises(RespError, match="ERR wrong"):
        conn.call("PING")

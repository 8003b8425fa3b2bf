"""ElastiCache fixtures: a client, unique names, waiting for a status, and small clients for the
engines' own protocols (RESP for Redis, the text protocol for memcached) over a socket."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.request
import uuid

import pytest


def unique(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def ec(client):
    return client("elasticache")


@pytest.fixture(scope="session")
def tls(endpoint) -> ssl.SSLContext:
    """A client context trusting the CA of the nodes with in-transit encryption, as the docs
    tell clients to (the CA from /_overcast/elasticache/ca.pem)."""
    with urllib.request.urlopen(f"{endpoint}/_overcast/elasticache/ca.pem", timeout=10) as response:
        return ssl.create_default_context(cadata=response.read().decode())


def wait_cluster(ec, cluster_id: str, status: str = "available", timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)[
            "CacheClusters"
        ][0]
        if found["CacheClusterStatus"] == status:
            return found
        assert found["CacheClusterStatus"] not in ("failed", "incompatible-network"), found
        assert time.monotonic() < deadline, f"{cluster_id} still {found['CacheClusterStatus']}"
        time.sleep(0.05)


def wait_group(ec, group_id: str, status: str = "available", timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        if found["Status"] == status:
            return found
        if found["Status"] == "create-failed":
            events = ec.describe_events(SourceIdentifier=group_id, SourceType="replication-group")["Events"]
            raise AssertionError(f"{group_id} failed: {[e['Message'] for e in events]}")
        assert time.monotonic() < deadline, f"{group_id} still {found['Status']}"
        time.sleep(0.05)


def wait_gone(describe, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            describe()
        except Exception as error:  # the service's not-found error
            if "NotFound" in type(error).__name__ or "NotFound" in str(error):
                return
            raise
        time.sleep(0.05)
    raise AssertionError("still there")


class Redis:
    """A minimal RESP client: enough to prove the endpoint is a real Redis."""

    def __init__(self, port: int, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=host)
        self.file = self.sock.makefile("rb")

    def __call__(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        return self._read()

    def _read(self):
        line = self.file.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.file.read(size + 2)[:-2]
            return data
        if kind == b"*":
            return [self._read() for _ in range(int(rest))]
        raise AssertionError(f"unexpected {line!r}")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class RedisError(str):
    """An error reply, returned (not raised) so tests can assert on it."""


def _memcached(port: int, command: bytes, ends: tuple[bytes, ...]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(command)
        data = b""
        while not data.endswith(ends):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def mc_set(port: int, key: str, value: bytes) -> bytes:
    """memcached's text protocol: set; the answer line (STORED)."""
    command = b"set %s 0 0 %d\r\n%s\r\n" % (key.encode(), len(value), value)
    return _memcached(port, command, (b"STORED\r\n", b"ERROR\r\n")).strip()


def mc_get(port: int, key: str) -> bytes | None:
    """memcached's text protocol: get; the value, or None on a miss."""
    data = _memcached(port, b"get %s\r\n" % key.encode(), (b"END\r\n",))
    if not data.startswith(b"VALUE"):
        return None
    header, _, rest = data.partition(b"\r\n")
    size = int(header.split()[3])
    return rest[:size]


def endpoint_port(cluster: dict, index: int = 0) -> int:
    return cluster["CacheNodes"][index]["Endpoint"]["Port"]

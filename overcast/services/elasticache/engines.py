"""The engines behind cache nodes: `redis-server` for the redis and valkey engines, `memcached`
for memcached. Each node is its own process on its own 127.0.0.1 port (overcast/engines/process.py
supervises it); the endpoint the API returns is that process, so clients talk to the engine itself.

`Resp` is a small RESP2 client: Overcast speaks to its Redis nodes to set ACL users, apply
parameters (CONFIG SET), save a snapshot (SAVE) and change a node's role (REPLICAOF)."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from overcast.engines.process import Binaries, Launch, Supervisor, find_binary, port_open

REDIS = Binaries("redis", "redis-server", ("/usr/bin",))
MEMCACHED = Binaries("memcached", "memcached", ("/usr/bin",))


class RespError(Exception):
    """The engine answered an error (or could not be reached)."""


class Resp:
    """One connection to a Redis node, authenticated as `user` (or the default user) with
    `password` when given."""

    def __init__(
        self,
        port: int,
        password: str | None = None,
        user: str | None = None,
        timeout: float = 5.0,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ):
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
            if tls is not None:
                self.sock = tls.wrap_socket(self.sock, server_hostname=host)
        except OSError as error:
            raise RespError(f"cannot reach the node on port {port}: {error}") from None
        self.buffer = b""
        if password:
            self.call(*(("AUTH", user, password) if user else ("AUTH", password)))

    def __enter__(self) -> Resp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def call(self, *args: Any) -> Any:
        parts = [str(a).encode() if not isinstance(a, bytes) else a for a in args]
        payload = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        try:
            self.sock.sendall(payload)
            return self._reply()
        except OSError as error:
            raise RespError(f"the node did not answer: {error}") from None

    def pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send every command at once, then read their replies in order; an error reply is
        returned as a RespError, not raised."""
        payload = bytearray()
        for args in commands:
            parts = [str(a).encode() if not isinstance(a, bytes) else a for a in args]
            payload += b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        try:
            self.sock.sendall(payload)
        except OSError as error:
            raise RespError(f"the node did not answer: {error}") from None
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(self._reply())
            except RespError as error:
                if "closed the connection" in str(error):
                    raise
                replies.append(error)
        return replies

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RespError("the node closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RespError("the node closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size + 2 :]
        return data

    def _reply(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exactly(size)
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        raise RespError(f"unexpected reply {line[:40]!r}")


#: The ACL user Overcast administers its Redis nodes as.
ADMIN_USER = "overcast-admin"


def admin(port: int, password: str, timeout: float = 10.0, tls: ssl.SSLContext | None = None) -> Resp:
    return Resp(port, password, ADMIN_USER, timeout, tls=tls)


def redis_ready(port: int, password: str, tls: ssl.SSLContext | None = None) -> bool:
    """The node answers PING (and has loaded its data)."""
    try:
        with admin(port, password, timeout=1.0, tls=tls) as conn:
            return conn.call("PING") == "PONG"
    except RespError as error:
        # A node loading its dataset answers LOADING: not ready yet.
        del error
        return False


@dataclass
class Node:
    """One cache node as the provider describes it to its engine."""

    key: str
    port: int
    engine: str
    password: str | None = None
    admin_password: str = ""
    #: In-transit encryption: the node speaks TLS only, with the certificate in its home.
    tls: ssl.SSLContext | None = None
    replica_of: tuple[str, int] | None = None
    memory_mb: int = 64
    parameters: dict[str, str] = field(default_factory=dict)
    #: Cluster mode enabled: the node is a Redis Cluster node, its cluster bus on this port
    #: (kept in its nodes.conf across restarts); 0 when cluster mode is disabled.
    cluster_bus: int = 0


#: Parameters of a Redis parameter group that redis-server takes as configuration (the others
#: are ElastiCache's own: cluster-enabled, reserved-memory...). Name → how redis-server spells it.
REDIS_CONFIG = {
    "maxmemory-policy": "maxmemory-policy",
    "maxmemory-samples": "maxmemory-samples",
    "timeout": "timeout",
    "tcp-keepalive": "tcp-keepalive",
    "notify-keyspace-events": "notify-keyspace-events",
    "slowlog-log-slower-than": "slowlog-log-slower-than",
    "slowlog-max-len": "slowlog-max-len",
    "lua-time-limit": "lua-time-limit",
    "hash-max-listpack-entries": "hash-max-listpack-entries",
    "hash-max-listpack-value": "hash-max-listpack-value",
    "list-max-listpack-size": "list-max-listpack-size",
    "set-max-intset-entries": "set-max-intset-entries",
    "zset-max-listpack-entries": "zset-max-listpack-entries",
    "zset-max-listpack-value": "zset-max-listpack-value",
    "activerehashing": "activerehashing",
    "lazyfree-lazy-eviction": "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire": "lazyfree-lazy-expire",
    "lfu-log-factor": "lfu-log-factor",
    "lfu-decay-time": "lfu-decay-time",
    "databases": "databases",
    "maxclients": "maxclients",
}
#: The ones redis-server only reads at start (applied when the node reboots).
REDIS_STATIC = {"databases"}


def check_installed(engine: str) -> None:
    if engine == "memcached":
        find_binary(MEMCACHED, "memcached")
    else:
        find_binary(REDIS, "redis-server")


def launch(sup: Supervisor, node: Node) -> Launch:
    home = sup.visible(node.key)
    if node.engine == "memcached":
        argv = [
            str(find_binary(MEMCACHED, "memcached")),
            "-l", "127.0.0.1", "-p", str(node.port), "-U", "0", "-m", str(node.memory_mb), "-c", "1024",
        ]  # fmt: skip
        return Launch(argv, ready=lambda: port_open(node.port))
    argv = [
        str(find_binary(REDIS, "redis-server")),
        "--port", "0" if node.tls else str(node.port), "--bind", "127.0.0.1", "--dir", home, "--dbfilename", "dump.rdb",
        "--save", "900 1 300 10 60 10000", "--appendonly", "no", "--daemonize", "no",
        "--protected-mode", "no", "--maxmemory", f"{node.memory_mb}mb", "--repl-diskless-sync-delay", "0",
        "--shutdown-on-sigterm", "force",
    ]  # fmt: skip
    for name, value in sorted(node.parameters.items()):
        if name in REDIS_CONFIG and value != "":
            argv += [f"--{REDIS_CONFIG[name]}", value]
    # Overcast's own ACL user, with which it sets users, parameters and roles whatever the
    # application does to the default user; replicas replicate as it too.
    argv += ["--user", ADMIN_USER, "on", f">{node.admin_password}", "~*", "&*", "+@all"]
    argv += ["--masteruser", ADMIN_USER, "--masterauth", node.admin_password]
    if node.tls:
        argv += [
            "--tls-port", str(node.port), "--tls-cert-file", f"{home}/tls/node.crt",
            "--tls-key-file", f"{home}/tls/node.key", "--tls-ca-cert-file", f"{home}/tls/ca.crt",
            "--tls-auth-clients", "no", "--tls-replication", "yes",
        ]  # fmt: skip
    if node.password:
        argv += ["--requirepass", node.password]
    if node.cluster_bus:
        argv += [
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", str(node.cluster_bus),
            "--cluster-node-timeout", "5000", "--cluster-announce-ip", "127.0.0.1",
            "--cluster-require-full-coverage", "yes",
        ]  # fmt: skip
        if node.tls:
            argv += ["--tls-cluster", "yes"]
    elif node.replica_of:
        argv += ["--replicaof", node.replica_of[0], str(node.replica_of[1])]
    return Launch(argv, ready=lambda: redis_ready(node.port, node.admin_password, node.tls))


def memcached_ready(port: int) -> bool:
    return port_open(port)

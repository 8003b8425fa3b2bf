"""TCP forwarders for the endpoints RDS puts in front of instances: custom cluster endpoints
and RDS Proxy endpoints. Each listens on a loopback address of its own and, for every client
connection, picks one of its current targets (asked again at each connection, so a failover or
a changed member list applies to the next connection) and relays bytes both ways. The engine
does the authentication and the protocol; the forwarder never reads what passes through it.

Addresses come from a loopback block per kind (127.0.1.x for cluster endpoints, 127.0.2.x for
proxies), each endpoint on the port AWS's would use (the cluster's port, the engine family's
default port), so the address is its identity as a DNS name is on AWS."""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: (host, port) pairs a forwarder may relay a connection to, the preferred first.
Targets = Callable[[], list[tuple[str, int]]]


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class Forwarder:
    """A listener on (host, port) relaying each connection to one of `targets()`, in turn."""

    def __init__(self, host: str, port: int, targets: Targets, name: str) -> None:
        self.name = name
        self.targets = targets
        self.turn = itertools.count()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, port))
            self.listener.listen(128)
        except OSError:
            self.listener.close()
            raise
        self.address = (host, int(self.listener.getsockname()[1]))
        self.closed = False
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, name=f"rds forward {name}", daemon=True).start()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.listener.close()
        with self.lock:
            open_now = list(self.connections)
            self.connections.clear()
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _connect(self) -> socket.socket | None:
        targets = self.targets()
        if not targets:
            return None
        start = next(self.turn)
        for i in range(len(targets)):
            host, port = targets[(start + i) % len(targets)]
            try:
                return socket.create_connection((host, port), timeout=5)
            except OSError:
                continue
        return None

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = self._connect()
        except Exception:  # a target lookup failing must not take the listener down
            log.exception("forwarder %s: choosing a target", self.name)
            upstream = None
        if upstream is None:
            client.close()
            return
        upstream.settimeout(None)
        for conn in (client, upstream):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.lock:
            self.connections.update((client, upstream))
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        with self.lock:
            self.connections.discard(client)
            self.connections.discard(upstream)
        for conn in (client, upstream):
            with contextlib.suppress(OSError):
                conn.close()


def bind_free(
    block: str, port: int, taken: set[str], targets: Targets, name: str, preferred: str | None = None
) -> Forwarder:
    """A forwarder on `preferred` (kept across restarts) when it can listen there, else on the
    first address of the loopback block `block` (e.g. "127.0.1") free on `port`."""
    candidates = [preferred] if preferred else []
    candidates += [f"{block}.{n}" for n in range(1, 255) if f"{block}.{n}" not in taken]
    last: OSError | None = None
    for host in candidates:
        try:
            return Forwarder(host, port, targets, name)
        except OSError as error:
            last = error
    raise OSError(f"no loopback address of {block}.0/24 is free on port {port}: {last}")

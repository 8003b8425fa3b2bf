"""A local Docker Engine, driven through its HTTP API on a unix socket (or tcp://), for the
services that run containers (ECS tasks; EC2 instances and Lambda images later).

    engine = Engine.shared()
    reason = engine.unavailable()            # None when an engine answers, else what to do
    cid = engine.create("ecs-task-1", {"Image": "busybox", "Cmd": ["true"], ...})
    engine.start(cid); code = engine.wait(cid)

Every call is blocking: callers on the event loop run them in a thread. Nothing here connects
at import or construction; the reachability check is made on first use and remembered for a
few seconds, so a daemon started later is found without restarting Overcast.

Every container Overcast creates carries the label `overcast=1` plus the owner's labels, so a
restarted Overcast finds its own containers (`containers(labels)`) to adopt or remove them.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from overcast.config import docker_host

API_VERSION = "v1.41"
#: How long a reachability answer is trusted.
CHECK_SECONDS = 5.0
OWNER_LABEL = "overcast"

INSTALL_HINT = (
    "no Docker Engine is reachable at {where} ({why}): install one (Debian: `apt-get install "
    "docker.io`) and start it (`dockerd`), or point DOCKER_HOST at a running engine"
)


class EngineError(Exception):
    """The engine refused a call (status and its message), or could not be reached (status 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class Engine:
    _shared: Engine | None = None
    _shared_lock = threading.Lock()

    def __init__(self, host: str | None = None) -> None:
        self.host = host or docker_host()
        self._checked_at = 0.0
        self._reason: str | None = "not checked"
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> Engine:
        """The engine DOCKER_HOST (or the default socket) names, one per process."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    # -- transport ---------------------------------------------------------------------------

    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.host.startswith("unix://"):
            return _UnixConnection(self.host[len("unix://") :], timeout)
        parts = urlsplit(self.host)
        if parts.scheme in ("tcp", "http"):
            return http.client.HTTPConnection(
                parts.hostname or "127.0.0.1", parts.port or 2375, timeout=timeout
            )
        raise EngineError(0, f"DOCKER_HOST {self.host!r} is neither unix:// nor tcp://")

    def _open(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = 60.0,
        extra_headers: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        url = f"/{API_VERSION}{path}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Host": "docker", **(extra_headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = self._connection(timeout)
        try:
            connection.request(method, url, body=data, headers=headers)
            response = connection.getresponse()
        except OSError as error:
            connection.close()
            raise EngineError(0, f"the Docker Engine at {self.host} did not answer: {error}") from None
        if response.status >= 400:
            text = response.read().decode(errors="replace")
            connection.close()
            try:
                message = json.loads(text).get("message", text)
            except ValueError:
                message = text
            raise EngineError(response.status, message.strip())
        return connection, response

    def call(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = 60.0,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One API call: its JSON answer (None for an empty one)."""
        connection, response = self._open(method, path, query, body, timeout, headers)
        try:
            text = response.read()
        except OSError as error:
            raise EngineError(0, f"the Docker Engine at {self.host} stopped answering: {error}") from None
        finally:
            connection.close()
        if "json" not in (response.getheader("Content-Type") or ""):
            return text.decode(errors="replace") or None
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            pass
        # Streamed progress (an image pull): one JSON document a line; an error line fails it.
        last: Any = None
        for line in text.splitlines():
            try:
                last = json.loads(line) if line.strip() else last
            except ValueError:
                continue
            if isinstance(last, dict) and last.get("error"):
                raise EngineError(500, str(last["error"]))
        return last

    # -- reachability ------------------------------------------------------------------------

    def unavailable(self) -> str | None:
        """None when the engine answers, else a sentence saying what to install or start."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < CHECK_SECONDS:
                return self._reason
        try:
            self.call("GET", "/_ping", timeout=3.0)
            reason = None
        except EngineError as error:
            reason = INSTALL_HINT.format(where=self.host, why=error.message)
        with self._lock:
            self._checked_at, self._reason = time.monotonic(), reason
        return reason

    # -- images ------------------------------------------------------------------------------

    def image(self, name: str) -> dict[str, Any] | None:
        """The local image's inspection, or None when the engine has no such image."""
        try:
            found: dict[str, Any] = self.call("GET", f"/images/{quote(name, safe='')}/json")
            return found
        except EngineError as error:
            if error.status == 404:
                return None
            raise

    def pull(self, name: str, login: tuple[str, str, str] | None = None) -> None:
        """Pull an image; `login` is (registry, username, password) for a registry that asks."""
        repository, tag = split_image(name)
        headers = None
        if login is not None:
            registry, username, password = login
            credentials = {"username": username, "password": password, "serveraddress": registry}
            headers = {"X-Registry-Auth": base64.urlsafe_b64encode(json.dumps(credentials).encode()).decode()}
        self.call(
            "POST", "/images/create", {"fromImage": repository, "tag": tag}, timeout=600.0, headers=headers
        )

    # -- networks ----------------------------------------------------------------------------

    def network(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call("GET", f"/networks/{quote(name, safe='')}")
            return found
        except EngineError as error:
            if error.status == 404:
                return None
            raise

    def gateway(self, network: str = "bridge") -> str | None:
        """The host's address on a bridge network: where its containers reach the host."""
        found = self.network(network)
        for config in ((found or {}).get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"])
            if config.get("Subnet") and ":" not in config["Subnet"]:
                # The default bridge names only its subnet: the engine gives the host its first address.
                return str(ipaddress.ip_network(config["Subnet"], strict=False).network_address + 1)
        return None

    def create_network(self, name: str, labels: dict[str, str]) -> str:
        out = self.call(
            "POST", "/networks/create", body={"Name": name, "Labels": {OWNER_LABEL: "1", **labels}}
        )
        return str(out["Id"])

    def remove_network(self, name: str) -> None:
        try:
            self.call("DELETE", f"/networks/{quote(name, safe='')}")
        except EngineError as error:
            if error.status != 404:
                raise

    # -- containers --------------------------------------------------------------------------

    def create(self, name: str, spec: dict[str, Any]) -> str:
        """Create a container from an API ContainerConfig (Image, Cmd, Env, Labels, HostConfig,
        ...); Overcast's label is added. Returns its id."""
        spec = dict(spec)
        spec["Labels"] = {OWNER_LABEL: "1", **(spec.get("Labels") or {})}
        out = self.call("POST", "/containers/create", {"name": name}, body=spec)
        return str(out["Id"])

    def start(self, container: str) -> None:
        self.call("POST", f"/containers/{container}/start")

    def stop(self, container: str, timeout: int = 30) -> None:
        """SIGTERM (or the image's stop signal), then SIGKILL after `timeout` seconds."""
        try:
            self.call("POST", f"/containers/{container}/stop", {"t": timeout}, timeout=timeout + 30.0)
        except EngineError as error:
            if error.status not in (304, 404):
                raise

    def kill(self, container: str, signal: str = "KILL") -> None:
        try:
            self.call("POST", f"/containers/{container}/kill", {"signal": signal})
        except EngineError as error:
            if error.status not in (404, 409):  # gone, or not running
                raise

    def remove(self, container: str) -> None:
        try:
            self.call("DELETE", f"/containers/{container}", {"force": "1", "v": "1"})
        except EngineError as error:
            if error.status not in (404, 409):  # gone, or already being removed
                raise

    def inspect(self, container: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call("GET", f"/containers/{container}/json")
            return found
        except EngineError as error:
            if error.status == 404:
                return None
            raise

    def wait(self, container: str) -> int:
        """Block until the container exits: its exit code."""
        out = self.call("POST", f"/containers/{container}/wait", timeout=None)
        return int((out or {}).get("StatusCode", -1))

    def containers(self, labels: dict[str, str] | None = None, all: bool = True) -> list[dict[str, Any]]:
        """Overcast's containers carrying these labels (running or not, unless all=False)."""
        wanted = [f"{OWNER_LABEL}=1"] + [f"{k}={v}" for k, v in (labels or {}).items()]
        found: list[dict[str, Any]] = self.call(
            "GET",
            "/containers/json",
            {"all": "1" if all else "0", "filters": json.dumps({"label": wanted})},
        )
        return found

    def logs(self, container: str, follow: bool = True, since: int = 0) -> Iterator[tuple[str, bytes]]:
        """(stream, line) pairs of a container's output, stream "stdout" or "stderr", as they
        come (follow) until it exits. The container must not have a TTY."""
        connection, response = self._open(
            "GET",
            f"/containers/{container}/logs",
            {"follow": "1" if follow else "0", "stdout": "1", "stderr": "1", "since": since},
            timeout=None,
        )
        partial = {"stdout": b"", "stderr": b""}
        try:
            while True:
                header = _read_exactly(response, 8)
                if len(header) < 8:
                    break
                stream = "stderr" if header[0] == 2 else "stdout"
                size = int.from_bytes(header[4:8], "big")
                data = partial[stream] + _read_exactly(response, size)
                *lines, partial[stream] = data.split(b"\n")
                for line in lines:
                    yield stream, line
        except OSError:
            pass
        finally:
            connection.close()
        for stream, rest in partial.items():
            if rest:
                yield stream, rest

    def events(self, labels: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """The engine's events about Overcast's containers, as they happen (blocks)."""
        wanted = [f"{OWNER_LABEL}=1"] + [f"{k}={v}" for k, v in (labels or {}).items()]
        connection, response = self._open(
            "GET", "/events", {"filters": json.dumps({"label": wanted, "type": ["container"]})}, timeout=None
        )
        try:
            buffer = b""
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    return
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        finally:
            connection.close()


def _read_exactly(response: http.client.HTTPResponse, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = response.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def split_image(name: str) -> tuple[str, str]:
    """(repository, tag-or-digest) of an image reference; the tag defaults to latest."""
    if "@" in name:
        repository, digest = name.split("@", 1)
        return repository, digest
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, "latest"

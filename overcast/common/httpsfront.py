"""Overcast on port 443 with TLS, for code that reaches it by host name alone.

The CDK's Node custom-resource providers (and other code written for AWS) answer CloudFormation
with `https.request({hostname, path})`: the URL's host on port 443, over TLS. Overcast's own
port is neither. So each Overcast server may open an https front: a listener on port 443 of a
loopback address of its own (127.1.X.Y, from its port: two Overcasts never collide on it),
presenting a certificate for that address from a certificate authority made for this process,
and relaying each connection's bytes to Overcast's port. A presigned URL made for
`https://127.1.X.Y/...` then reaches Overcast from any local process, a Lambda sandbox included
(sandboxes share the host's network).

Processes trust the authority through NODE_EXTRA_CA_CERTS (Node adds it to its roots) and
SSL_CERT_FILE (Python's ssl: a bundle of the system's roots and this authority), which
`trust_env` gives Lambda environments. The authority's key never leaves this process's memory.

Port 443 needs root, CAP_NET_BIND_SERVICE or net.ipv4.ip_unprivileged_port_start <= 443; where
the listener cannot open, `problem` says why and callers keep their plain http URLs."""

from __future__ import annotations

import asyncio
import atexit
import ipaddress
import logging
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PORT = 443
_SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
_CHUNK = 65536


def front_address(port: int) -> str:
    """The loopback address whose port 443 fronts the Overcast listening on `port`."""
    return f"127.1.{(port >> 8) & 255}.{port & 255}"


@dataclass
class _Authority:
    folder: Path
    ca_file: Path
    #: The system's roots and the CA; None where this machine has no system bundle (then
    #: SSL_CERT_FILE is left alone rather than trusting the CA alone).
    bundle_file: Path | None
    context: ssl.SSLContext


def _authority(address: str) -> _Authority:
    """A CA and a server certificate for `address`: the CA's certificate (and a bundle of it
    with the system's roots) in a world-readable folder, the server's key only in memory."""
    from cryptography import x509

    from overcast.common import localca

    ca, ca_key = localca.authority("Overcast local https CA", 825)
    server, server_key = localca.server_certificate(
        ca, ca_key, address, [x509.IPAddress(ipaddress.ip_address(address))], 825
    )
    ca_pem = localca.pem(ca)
    folder = Path(tempfile.mkdtemp(prefix="overcast-https-"))
    atexit.register(shutil.rmtree, folder, True)
    os.chmod(folder, 0o755)  # functions run as users of their own read the CA from here
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_pem)
    os.chmod(ca_file, 0o644)
    system = next((Path(path) for path in _SYSTEM_BUNDLES if os.path.exists(path)), None)
    bundle_file = None
    if system is not None:
        bundle_file = folder / "bundle.pem"
        bundle_file.write_bytes(system.read_bytes() + b"\n" + ca_pem)
        os.chmod(bundle_file, 0o644)
    # ssl loads a key only from a file: one readable by this user alone, gone once loaded.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    key_fd, key_path = tempfile.mkstemp(prefix="overcast-https-key-")
    try:
        with os.fdopen(key_fd, "wb") as handle:
            handle.write(localca.pem(server) + localca.key_pem(server_key))
        context.load_cert_chain(key_path)
    finally:
        os.unlink(key_path)
    return _Authority(folder, ca_file, bundle_file, context)


@dataclass
class HttpsFront:
    """The https front of the Overcast listening on target_host:target_port."""

    target_host: str
    target_port: int
    address: str = ""
    problem: str = ""
    _authority: _Authority | None = None
    _server: asyncio.Server | None = None
    _tried: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.address = front_address(self.target_port)

    @property
    def authority(self) -> _Authority:
        if self._authority is None:
            self._authority = _authority(self.address)
        return self._authority

    @property
    def base_url(self) -> str:
        return f"https://{self.address}"

    def trust_env(self) -> dict[str, str]:
        """The variables a process needs to trust the front's certificate."""
        authority = self.authority
        env = {"NODE_EXTRA_CA_CERTS": str(authority.ca_file)}
        if authority.bundle_file is not None:
            env["SSL_CERT_FILE"] = str(authority.bundle_file)
        return env

    async def ensure(self) -> bool:
        """Open the listener (once); whether it is open."""
        if self._server is not None:
            return True
        async with self._lock:
            if self._tried:
                return self._server is not None
            self._tried = True
            try:
                self._server = await asyncio.start_server(
                    self._relay, self.address, PORT, ssl=self.authority.context, reuse_address=True
                )
            except OSError as error:
                self.problem = (
                    f"Overcast could not listen on {self.address}:{PORT} ({error.strerror or error}); "
                    "code that sends to an https URL's host on port 443 (the CDK's Node custom-resource "
                    "providers) cannot reach it: run Overcast as root, give it CAP_NET_BIND_SERVICE, or "
                    "set net.ipv4.ip_unprivileged_port_start to 443 or lower"
                )
                log.warning("%s", self.problem)
                return False
        return True

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for each in (upstream_writer, writer):
                each.close()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.close()
        except RuntimeError:  # its loop is already closed: let the sockets go directly
            for sock in server.sockets:
                sock.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
            else:
                writer.close()
        except (OSError, RuntimeError):
            pass


_fronts: dict[tuple[str, int], HttpsFront] = {}


def front_for(host: str, port: int) -> HttpsFront:
    """The https front of the Overcast at host:port (its listener opened by `ensure`)."""
    target = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    front = _fronts.get((target, port))
    if front is None:
        front = _fronts[(target, port)] = HttpsFront(target, port)
    return front


def close_front(host: str, port: int) -> None:
    """Close the front of the Overcast at host:port, if open (its server is stopping); a server
    started again on that port opens a new one."""
    target = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    front = _fronts.pop((target, port), None)
    if front is not None:
        front.close()
